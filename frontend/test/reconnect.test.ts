import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ReconnectHost, ReconnectingSocket } from '../src/reconnect';
import { FakeServer, settle } from './fake-browser';

/** Records what the loop told its owner. */
function recorder(): ReconnectHost & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    opened: () => events.push('opened'),
    received: data => events.push('received ' + data),
    lost: () => events.push('lost'),
    ended: (code, reason) => events.push(`ended ${code} ${reason}`),
    signedOut: () => events.push('signed out'),
  };
}

describe('ReconnectingSocket', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('opens again after a loss, waiting twice as long each time up to the limit', async () => {
    const server = new FakeServer();
    const loop = new ReconnectingSocket('/collab/s1?path=a', recorder(), { connect: server.connect, maxDelayMs: 2000 });
    loop.open();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      server.current().accept();
      server.current().drop();
      const before = server.sockets.length;
      let waited = 0;
      while (server.sockets.length == before && waited < 10_000) { mock.timers.tick(100); waited += 100; }
      waits.push(waited);
    }
    assert.deepEqual(waits, [500, 1000, 2000, 2000, 2000]);
    assert.equal(server.sockets[0].path, '/collab/s1?path=a');
  });

  it('goes back to the first delay once the owner says the connection is good', () => {
    const server = new FakeServer();
    const loop = new ReconnectingSocket('/x', recorder(), { connect: server.connect });
    loop.open();
    for (let i = 0; i < 3; i++) {
      server.current().accept();
      server.current().drop();
      mock.timers.tick(5000);
    }
    server.current().accept();
    loop.connected();
    server.current().drop();
    const before = server.sockets.length;
    mock.timers.tick(499);
    assert.equal(server.sockets.length, before);
    mock.timers.tick(1);
    assert.equal(server.sockets.length, before + 1);
  });

  it('stops for good when the server revokes access (4403) or closes the document (4404)', () => {
    for (const code of [4403, 4404] as const) {
      const server = new FakeServer();
      const host = recorder();
      const loop = new ReconnectingSocket('/x', host, { connect: server.connect });
      loop.open();
      server.current().accept();
      server.current().drop(code, 'gone');
      mock.timers.tick(60_000);
      assert.equal(server.sockets.length, 1);
      assert.deepEqual(host.events, ['opened', `ended ${code} gone`]);
      assert.ok(loop.isStopped());
    }
  });

  it('asks whether the person is still signed in when a handshake fails, and stops on a 401', async () => {
    const server = new FakeServer();
    const host = recorder();
    const loop = new ReconnectingSocket('/x', host, { connect: server.connect, signedIn: server.checkSignedIn });
    loop.open();
    server.signedIn = undefined; // the server is away (a restart): keep trying
    server.current().drop();
    await settle();
    mock.timers.tick(500);
    assert.equal(server.sockets.length, 2);
    server.signedIn = false;
    server.current().drop();
    await settle();
    mock.timers.tick(60_000);
    assert.equal(server.sockets.length, 2);
    assert.deepEqual(host.events, ['lost', 'lost', 'signed out']);
  });

  it('hands on frames of the current socket only, and sends only while open', () => {
    const server = new FakeServer();
    const host = recorder();
    const loop = new ReconnectingSocket('/x', host, { connect: server.connect });
    loop.open();
    assert.equal(loop.send('early'), false);
    const first = server.current();
    first.accept();
    assert.equal(loop.send('hello'), true);
    loop.open('again');
    first.receive('stale');
    server.current().accept();
    server.current().receive('fresh');
    assert.deepEqual(first.sent, ['hello']);
    assert.deepEqual(first.closedWith, { code: 1000, reason: 'again' });
    assert.deepEqual(host.events, ['opened', 'opened', 'received fresh']);
  });

  it('opens nothing more once closed by its owner', async () => {
    const server = new FakeServer();
    const loop = new ReconnectingSocket('/x', recorder(), { connect: server.connect });
    loop.open();
    server.current().accept();
    loop.close('done');
    await settle();
    mock.timers.tick(60_000);
    assert.equal(server.sockets.length, 1);
    assert.deepEqual(server.current().closedWith, { code: 1000, reason: 'done' });
  });
});
