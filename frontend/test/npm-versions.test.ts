import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bundle gets its npm packages from the @NpmPackage annotations of studio-ui's components; the type check and
 * these tests from package.json. Both must name the same versions, or the tests check code against other libraries
 * than the page runs.
 */
const root = join(process.cwd(), '..', 'studio-ui', 'src', 'main', 'java');

function javaFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? javaFiles(path) : name.endsWith('.java') ? [path] : [];
  });
}

describe('npm versions', () => {
  it('are those of the @NpmPackage annotations', () => {
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
