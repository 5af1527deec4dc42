// Progress on a terminal is one line redrawn in place; anywhere else, a plain line now and then.
import { describe, expect, it } from 'vitest';
import { bar, bytes, clock, createProgress } from '../../bin/progress.ts';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, s: { isTTY, columns: 100, write: (t: string) => writes.push(t) } };
}

describe('progress', () => {
  it('redraws one line on a terminal, throttled, and leaves the final state', () => {
    let t = 0;
    const { writes, s } = stream(true);
    const p = createProgress({ stream: s, now: () => t });
    p.update('0 of 10', 0);
    for (let i = 1; i <= 9; i++) {
      t += 30; // 30 ms apart: only about every fourth is drawn
      p.update(`${i} of 10`, i / 10);
    }
    p.log('a step happened');
    p.done('10 of 10', 1);
    const text = writes.join('');
    expect(text).not.toMatch(/\n.*\n.*\n.*\n/); // a few newlines at most: the log line and the end
    expect(writes.filter((w) => w.startsWith('\r\x1b[2K') && w.includes(' of 10')).length).toBeLessThan(6);
    expect(text).toContain('a step happened\n');
    expect(text.endsWith(`${bar(1)}  10 of 10\n`)).toBe(true);
    // the bar line comes back after a log line
    const afterLog = writes[writes.findIndex((w) => w === 'a step happened\n') + 1]!;
    expect(afterLog).toContain(' of 10');
  });

  it('writes plain lines at intervals when not a terminal', () => {
    let t = 0;
    const { writes, s } = stream(false);
    const p = createProgress({ stream: s, everyMs: 1000, now: () => t });
    for (let i = 0; i <= 50; i++) {
      p.update(`msg ${i}`, i / 50);
      t += 100;
    }
    p.done();
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(writes.length).toBe(1 + 5 + 1); // the first, one a second, the final
    expect(writes.at(-1)).toContain('msg 50');
  });

  it('formats bars, clocks and sizes', () => {
    expect(bar(0.5, 10)).toBe('▕█████     ▏  50.0%');
    expect(bar(2, 4)).toBe('▕████▏ 100.0%');
    expect(clock(65_000)).toBe('1:05');
    expect(clock(3_725_000)).toBe('1:02:05');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });
});
