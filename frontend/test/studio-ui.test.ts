import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What studio-ui's component classes must say about these sources for Vaadin's bundle to be right: the npm packages
 * (@NpmPackage) at the versions package.json has, and every module (@JsModule), since Vaadin decides whether the
 * committed bundle is current by hashing the @JsModule files only, not what they import.
 */
const root = join(process.cwd(), '..', 'studio-ui', 'src', 'main', 'java');

function javaFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? javaFiles(path) : name.endsWith('.java') ? [path] : [];
  });
}

function sources(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path, prefix + name + '/');
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [prefix + name] : [];
  });
}

describe('studio-ui\'s annotations', () => {
  it('list every module as a @JsModule, so that a change to any of them rebuilds the bundle', () => {
    const listed = new Set<string>();
    for (const file of javaFiles(root)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/@JsModule\("\.\/kiln\/([^"]+)"\)/g)) listed.add(m[1]);
    }
    const missing = sources('src').filter(module => !listed.has(module));
    assert.deepEqual(missing, [], 'modules no @JsModule names (list them on the component that imports them)');
  });

  it('name the npm versions package.json has', () => {
    const annotated = new Map<string, string>();
    for (const file of javaFiles(root)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/@NpmPackage\(value = "([^"]+)", version = "([^"]+)"\)/g)) {
        annotated.set(m[1], m[2]);
      }
    }
    assert.ok(annotated.size > 10, `found ${annotated.size} @NpmPackage annotations under ${root}`);
    const dependencies: Record<string, string> = JSON.parse(readFileSync('package.json', 'utf8')).dependencies;
    for (const [name, version] of annotated) {
      assert.equal(dependencies[name], version, `${name}: package.json has ${dependencies[name]}, studio-ui's @NpmPackage ${version}`);
    }
    const extra = Object.keys(dependencies).filter(name => !annotated.has(name) && name != 'lit');
    assert.deepEqual(extra, [], 'packages in package.json that no component declares');
  });
});
