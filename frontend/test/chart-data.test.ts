import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChartData } from '../src/chart-data';

describe('ChartData', () => {
  it('appends points per metric and run, a repeated step replacing the first', () => {
    const data = new ChartData();
    data.append('loss', 'r0', [[1, 2.0], [2, 1.5]]);
    data.append('loss', 'r0', [[2, 1.4], [3, 1.2]]);
    assert.deepEqual(data.aligned('loss', false), [[1, 2, 3], [2.0, 1.4, 1.2]]);
    assert.deepEqual(data.counts().byMetric.get('loss'), 3);
  });

  it('lines up runs on the steps of any of them, with gaps where one has no point', () => {
    const data = new ChartData();
    data.setRuns([{ id: 'r1', label: 'rank 1' }, { id: 'r0', label: 'rank 0' }]);
    data.append('loss', 'r0', [[1, 1], [3, 3]]);
    data.append('loss', 'r1', [[2, 2]]);
    assert.deepEqual(data.runsOf('loss').map(r => r.id), ['r1', 'r0']); // the runs' order, not arrival
    assert.deepEqual(data.aligned('loss', false), [[1, 2, 3], [null, 2, null], [1, null, 3]]);
  });

  it('uses a log scale for a loss only while every value is positive, and leaves out what a log scale cannot draw', () => {
    const data = new ChartData();
    data.append('loss', 'r0', [[1, 0.5], [2, null]]);
    data.append('lr', 'r0', [[1, 0.1]]);
    assert.equal(data.wantsLog('loss'), true);
    assert.equal(data.wantsLog('lr'), false);
    data.append('loss', 'r0', [[3, 0]]);
    assert.equal(data.wantsLog('loss'), false);
    assert.deepEqual(data.aligned('loss', true), [[1, 2, 3], [0.5, null, null]]);
    assert.deepEqual(data.aligned('loss', false), [[1, 2, 3], [0.5, null, 0]]);
  });

  it('shares one step range over every metric, and lists losses first', () => {
    const data = new ChartData();
    assert.deepEqual(data.fullRange(), [0, 1]);
    data.append('lr', 'r0', [[5, 0.1]]);
    assert.deepEqual(data.fullRange(), [4, 6]);
    data.append('val_loss', 'r0', [[10, 1]]);
    data.append('samples_per_sec', 'r0', [[1, 100]]);
    assert.deepEqual(data.fullRange(), [1, 10]);
    assert.deepEqual(data.metrics(), ['val_loss', 'lr', 'samples_per_sec']);
  });

  it('makes no chart of step or epoch, and forgets everything on clear', () => {
    const data = new ChartData();
    assert.equal(data.append('epoch', 'r0', [[1, 1]]), false);
    data.append('loss', 'r9', [[1, 1]]);
    assert.deepEqual(data.runs(), [{ id: 'r9', label: 'r9' }]); // a run not named yet is named by its id
    data.clear();
    assert.deepEqual(data.metrics(), []);
    assert.deepEqual(data.runs(), []);
  });
});
