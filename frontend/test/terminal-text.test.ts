import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { styledPieces, terminalLines } from '../src/terminal-text';

describe('terminalLines', () => {
  it('redraws a progress line in place after a carriage return', () => {
    assert.equal(terminalLines('epoch 1: 10%\repoch 1: 50%\repoch 1: 100%\ndone\n'), 'epoch 1: 100%\ndone\n');
  });

  it('keeps Windows line ends as line ends, and takes a character back on backspace', () => {
    assert.equal(terminalLines('a\r\nb\r\n'), 'a\nb\n');
    assert.equal(terminalLines('abx\bc'), 'abc');
  });
});

describe('styledPieces', () => {
  it('turns SGR colours into styled pieces and reset into plain text', () => {
    assert.deepEqual(styledPieces('ok \u001b[31;1mFAILED\u001b[0m here'), [
      { text: 'ok ', style: {} },
      { text: 'FAILED', style: { fg: '#c62828', bold: true } },
      { text: ' here', style: {} },
    ]);
  });

  it('reads 256 and true colours, foreground and background', () => {
    assert.deepEqual(styledPieces('\u001b[38;5;196mred\u001b[48;2;1;2;3mon dark'), [
      { text: 'red', style: { fg: 'rgb(255,0,0)' } },
      { text: 'on dark', style: { fg: 'rgb(255,0,0)', bg: 'rgb(1,2,3)' } },
    ]);
  });

  it('drops other escape sequences at the end (a cursor move of a progress bar)', () => {
    assert.deepEqual(styledPieces('\u001b[32mdone\u001b[0m\u001b[?25h\u001b[2K'), [{ text: 'done', style: { fg: '#2e7d32' } }]);
  });

  it('never treats markup as anything but text', () => {
    assert.deepEqual(styledPieces('<img src=x onerror=alert(1)>'), [{ text: '<img src=x onerror=alert(1)>', style: {} }]);
  });
});
