import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_AXIS_FLOOR, calibratedPoints, chanceLine, clampToFloor, measurableFloor, rocSeries, totalPoints } from '../../webview/src/roc-data';
import { histogramBars } from '../../webview/src/histogram-data';
import { classBars } from '../../webview/src/class-data';
import { withAlpha } from '../../webview/src/color';
import { formatInterval, formatRate, formatRateAtFloor, formatScore, formatTargetFpr, notMeasurableText } from '../../webview/src/format';
import { REPORTED_FPR_KEYS } from '../../webview/src/reported-fprs';
import { sampleReport } from './report-sample';

test('ROC points below the log floor, zero included, are drawn at the floor', () => {
  assert.equal(clampToFloor(0), LOG_AXIS_FLOOR);
  assert.equal(clampToFloor(null), LOG_AXIS_FLOOR, 'NaN serialised as null');
  assert.equal(clampToFloor(5e-5), LOG_AXIS_FLOOR);
  assert.equal(clampToFloor(0.25), 0.25);
  assert.equal(clampToFloor(1.0000001), 1);
});

test('a ROC series keeps every distinct point and drops the duplicates clamping makes', () => {
  const [loss, calibrated] = sampleReport().audits[0].attacks;
  const s = rocSeries(loss);
  assert.equal(s.label, 'loss-threshold (AUC 0.800)');
  assert.deepEqual(s.points, [
    { x: 1e-4, y: 1e-4 },
    { x: 1e-4, y: 0.05 },
    { x: 0.002, y: 0.1 },
    { x: 0.01, y: 0.2 },
    { x: 0.5, y: 0.9 },
    { x: 1, y: 1 },
  ]);
  // (0,0) and (0.0001, 0.00005) both land on (floor, floor): one point.
  assert.deepEqual(rocSeries(calibrated).points, [
    { x: 1e-4, y: 1e-4 },
    { x: 0.3, y: 0.6 },
    { x: 1, y: 1 },
  ]);
  assert.equal(totalPoints([s, rocSeries(calibrated)]), 9);
  assert.deepEqual(calibratedPoints(calibrated), [{ x: 0.012, y: 0.04 }]);
  assert.deepEqual(calibratedPoints(loss), []);
  const unordered = { ...calibrated, calibratedPoints: [0.2, 0, 0.05].map((fpr) => ({ ...calibrated.calibratedPoints![0], fpr, tpr: fpr * 2 })) };
  assert.deepEqual(calibratedPoints(unordered).map((p) => p.x), [1e-4, 0.05, 0.2], 'sorted by FPR for the unparsed chart data');
});

test('the chance line spans the axes and the measurable floor is 1/N', () => {
  assert.deepEqual(chanceLine(), [{ x: 1e-4, y: 1e-4 }, { x: 1, y: 1 }]);
  assert.equal(measurableFloor(sampleReport().audits[0].attacks), 1 / 500);
  assert.equal(measurableFloor([]), undefined);
});

test('histograms become shares of each group, with bin labels and ranges', () => {
  const bars = histogramBars({ edges: [0, 0.5, 1, 1.5], members: [100, 300, 600], nonMembers: [300, 150, 50] });
  assert.deepEqual(bars.memberShare, [0.1, 0.3, 0.6]);
  assert.deepEqual(bars.nonMemberShare, [0.6, 0.3, 0.1]);
  assert.deepEqual(bars.labels, ['0.25', '0.75', '1.25']);
  assert.deepEqual(bars.ranges, ['[0, 0.5)', '[0.5, 1)', '[1, 1.5]']);
  const empty = histogramBars({ edges: [0, 1], members: [0], nonMembers: [0] });
  assert.deepEqual(empty.memberShare, [0], 'an empty group is all zeros, not NaN');
  assert.equal(histogramBars({ edges: [0, 1, 2], members: [1], nonMembers: [1, 2] }).labels.length, 1, 'cut to the bins all arrays cover');
});

test('per-class bars are sorted by class and leave out classes without an AUC', () => {
  const bars = classBars(sampleReport().audits[0].attacks[0].perClass);
  assert.deepEqual(bars.labels, ['class 0', 'class 1']);
  assert.deepEqual(bars.auc, [0.81, null]);
  assert.deepEqual(bars.missing, [1]);
});

test('rates are formatted so low FPRs stay distinguishable', () => {
  assert.equal(formatRate(0.0001), '0.01%');
  assert.equal(formatRate(0.0123456), '1.23%');
  assert.equal(formatRate(1), '100%');
  assert.equal(formatRate(0), '0%');
  assert.equal(formatRate(null), '—');
  assert.equal(formatRateAtFloor(1e-4, 1e-4), '≤ 0.01%');
  assert.equal(formatInterval(0.01, 0.025), '1%–2.5%');
  assert.equal(formatTargetFpr('0.001'), '0.1%');
  assert.equal(notMeasurableText(1500), 'not measurable with 1,500 non-members');
  assert.equal(formatScore(Infinity), '∞');
  assert.equal(formatScore(3.14159), '3.142');
  assert.deepEqual(REPORTED_FPR_KEYS, ['0.01', '0.001', '0.0001']);
});

test('theme colours get an alpha whatever their CSS syntax', () => {
  assert.equal(withAlpha('#3794ff', 0.5), 'rgba(55, 148, 255, 0.5)');
  assert.equal(withAlpha('#fff', 0.2), 'rgba(255, 255, 255, 0.2)');
  assert.equal(withAlpha('#11223344', 1), 'rgba(17, 34, 51, 1)');
  assert.equal(withAlpha('rgb(1, 2, 3)', 0.4), 'rgba(1, 2, 3, 0.4)');
  assert.equal(withAlpha('rgba(1 2 3 / 50%)', 0.4), 'rgba(1, 2, 3, 0.4)');
  assert.equal(withAlpha('color-mix(in srgb, red, blue)', 0.4), 'color-mix(in srgb, red, blue)');
});
