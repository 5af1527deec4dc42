import { describe, expect, it } from 'vitest';
import { commandTopic, deviceFilters, deviceTopic, liveTopic, parseDeviceTopic } from '../../shared/topics.ts';

describe('topics', () => {
  it('builds device topics and parses them back', () => {
    const t = deviceTopic('dantu', 'meter', 'mtr-longyuan-1', 'telemetry');
    expect(t).toBe('park/dantu/meter/mtr-longyuan-1/telemetry');
    expect(parseDeviceTopic(t, 'dantu')).toEqual({ ok: true, topic: { parkId: 'dantu', kind: 'meter', deviceId: 'mtr-longyuan-1', channel: 'telemetry' } });
    expect(commandTopic('dantu', 'camera', 'cam-001')).toBe('park/dantu/camera/cam-001/command');
    expect(liveTopic('dantu', 'snapshot')).toBe('park/dantu/live/snapshot');
    expect(deviceFilters('dantu')).toEqual(['park/dantu/camera/+/+', 'park/dantu/node5g/+/+', 'park/dantu/meter/+/+']);
  });

  it('refuses to build a topic from a hostile id', () => {
    expect(() => deviceTopic('dantu', 'camera', 'cam/001', 'telemetry')).toThrow(/invalid device id/);
    expect(() => deviceTopic('dantu', 'camera', '+', 'telemetry')).toThrow();
    expect(() => deviceTopic('dantu', 'camera', 'a\u0000b', 'telemetry')).toThrow();
    expect(() => deviceTopic('Dantu', 'camera', 'cam-001', 'telemetry')).toThrow(/invalid park id/);
  });

  it.each([
    ['park/dantu/camera/cam-001', 'bad-shape'],
    ['park/dantu/camera/cam-001/telemetry/extra', 'bad-shape'],
    ['x/dantu/camera/cam-001/telemetry', 'bad-shape'],
    ['park/other/camera/cam-001/telemetry', 'wrong-park'],
    ['park/dantu/drone/cam-001/telemetry', 'bad-kind'],
    ['park/dantu/camera/CAM-001/telemetry', 'bad-device-id'],
    ['park/dantu/camera/cam\u0000/telemetry', 'bad-device-id'],
    ['park/dantu/camera/\ud800/telemetry', 'bad-device-id'],
    ['park/dantu/camera/cam-001/command', 'bad-channel'],
    ['park/dantu/camera/cam-001/' + 'x'.repeat(300), 'too-long'],
    ['park/' + 'a/'.repeat(120) + 'b', 'bad-shape'],
  ])('rejects %j as %s', (topic, error) => {
    expect(parseDeviceTopic(topic, 'dantu')).toEqual({ ok: false, error });
  });
});
