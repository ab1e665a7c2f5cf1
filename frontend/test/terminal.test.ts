import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FRAME_CHARS, SizeReport, inputFrames } from '../src/protocol/terminal';

const data = (frames: string[]) => frames.map(f => JSON.parse(f).data as string).join('');

describe('inputFrames', () => {
  it('sends a keystroke as one input frame', () => {
    assert.deepEqual(inputFrames('l'), ['{"type":"input","data":"l"}']);
  });

  it('splits a paste larger than the server takes into frames that each fit, in order, losing nothing', () => {
    const paste = Array.from({ length: 20_000 }, (_, i) => `line ${i}\t"quoted" \\ ü\n`).join('');
    const frames = inputFrames(paste);
    assert.ok(frames.length > 1);
    for (const frame of frames) assert.ok(frame.length <= MAX_FRAME_CHARS, `${frame.length} characters`);
    assert.equal(data(frames), paste);
  });

  it('counts escaped characters at their size on the wire', () => {
    const controls = '\u0001'.repeat(100); // each is \u0001 in JSON: 6 characters
    const frames = inputFrames(controls, 200);
    for (const frame of frames) assert.ok(frame.length <= 200);
    assert.equal(data(frames), controls);
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(50);
    const frames = inputFrames(emoji, 40);
    for (const frame of frames) assert.equal(JSON.parse(frame).data.length % 2, 0);
    assert.equal(data(frames), emoji);
  });
});

describe('SizeReport', () => {
  it('sends a size once, again only when it changes or the connection is new, and never 0', () => {
    const size = new SizeReport();
    assert.equal(size.frame(0, 0), undefined);
    assert.equal(size.frame(80, 24), '{"type":"resize","cols":80,"rows":24}');
    assert.equal(size.frame(80, 24), undefined);
    assert.equal(size.frame(100, 30), '{"type":"resize","cols":100,"rows":30}');
    size.reconnected();
    assert.equal(size.frame(100, 30), '{"type":"resize","cols":100,"rows":30}');
  });
});
