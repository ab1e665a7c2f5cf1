// The sources import each other without a file extension, as Vite (Vaadin's bundler) wants them; node's ESM loader
// needs one. This resolve hook adds ".js" to a relative import that has none (the tests run on tsc's output).
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && !/\.[cm]?js$/.test(specifier)) {
      return nextResolve(specifier + '.js', context);
    }
    return nextResolve(specifier, context);
  },
});
