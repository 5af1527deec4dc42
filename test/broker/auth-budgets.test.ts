// The failure budget per address and the broker-wide scrypt budget, with a hand-driven clock:
// exact edges, bounded tables, and a crowd of right secrets that never spends the KDF budget.
import { describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../../broker/auth-throttle.ts';
import { createKdfBudget, kdfWeight } from '../../broker/kdf-budget.ts';
import { DEFAULT_SCRYPT, LOAD_SCRYPT } from '../../shared/credentials.ts';

describe('auth throttle', () => {
  it('throttles an address + client id after its failures, and the address after its own, until the window ends', () => {
    let t = 0;
    const g = createAuthThrottle({ perAddress: 4, perAddressClient: 2, windowMs: 1000 }, () => t);
    g.failed('10.0.0.9', 'cam-001');
    expect(g.throttled('10.0.0.9', 'cam-001')).toBe(false);
    g.failed('10.0.0.9', 'cam-001');
    expect(g.throttled('10.0.0.9', 'cam-001')).toBe(true);
    expect(g.throttled('10.0.0.9', 'cam-002')).toBe(false); // another id from there: address budget left
    expect(g.throttled('10.0.0.1', 'cam-001')).toBe(false); // the genuine device elsewhere: never
    g.failed('10.0.0.9', 'cam-002');
    g.failed('10.0.0.9', 'cam-003');
    expect(g.throttled('10.0.0.9', 'cam-004')).toBe(true); // the address used its 4
    t = 1000;
    expect(g.throttled('10.0.0.9', 'cam-001')).toBe(false);
  });

  it('clears an address + client id on success, and keeps its table bounded', () => {
    const g = createAuthThrottle({ perAddress: 100, perAddressClient: 1, windowMs: 60_000, maxTracked: 50 }, () => 0);
    g.failed('a', 'x');
    expect(g.throttled('a', 'x')).toBe(true);
    g.succeeded('a', 'x');
    expect(g.throttled('a', 'x')).toBe(false);
    for (let i = 0; i < 10_000; i++) g.failed(`10.${i >> 8}.${i & 255}.1`, `id-${i}`);
    expect(g.size).toBeLessThanOrEqual(50);
  });
});

describe('KDF budget', () => {
  it('weighs a run by its cost', () => {
    expect(kdfWeight(DEFAULT_SCRYPT)).toBe(1);
    expect(kdfWeight(LOAD_SCRYPT)).toBe(1 / 16);
  });

  it('spends its rate only on wrong secrets: a crowd of right ones always runs', async () => {
    const b = createKdfBudget({ concurrency: 2, perSecond: 1, burst: 2, maxQueued: 1000 }, () => 0);
    const right = await Promise.all(Array.from({ length: 200 }, () => b.run(DEFAULT_SCRYPT, async () => true)));
    expect(right.every((r) => r === true)).toBe(true);
    expect(await b.run(DEFAULT_SCRYPT, async () => false)).toBe(false);
    expect(await b.run(DEFAULT_SCRYPT, async () => false)).toBe(false);
    expect(await b.run(DEFAULT_SCRYPT, async () => true)).toBe('busy'); // the burst is spent: nothing runs
    expect(b.stats).toMatchObject({ runs: 202, failures: 2, busy: 1 });
  });

  it('skips a run whose client hung up while it waited', async () => {
    const b = createKdfBudget({ concurrency: 1, perSecond: 1, burst: 5, maxQueued: 10 }, () => 0);
    let ran = 0;
    const answers = await Promise.all([b.run(DEFAULT_SCRYPT, async () => (ran++, true)), b.run(DEFAULT_SCRYPT, async () => (ran++, true), () => false)]);
    expect(answers).toEqual([true, 'busy']);
    expect(ran).toBe(1);
  });

  it('refills at its rate, runs at most `concurrency` at once, and bounds its queue', async () => {
    let t = 0;
    const b = createKdfBudget({ concurrency: 2, perSecond: 2, burst: 1, maxQueued: 3 }, () => t);
    expect(await b.run(DEFAULT_SCRYPT, async () => false)).toBe(false);
    expect(await b.run(DEFAULT_SCRYPT, async () => true)).toBe('busy');
    t = 500; // one token back
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const job = (): Promise<boolean> => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<boolean>((r) => release.push(() => (running--, r(true))));
    };
    const runs = Array.from({ length: 6 }, () => b.run(DEFAULT_SCRYPT, job));
    const answers = await Promise.race([Promise.all(runs.slice(5)), new Promise((r) => setTimeout(r, 20, 'pending'))]);
    expect(answers).toEqual(['busy']); // 2 running + 3 queued: the sixth is refused at once
    while (release.length > 0 || running > 0) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await Promise.all(runs.slice(0, 5))).toEqual([true, true, true, true, true]);
    expect(peak).toBe(2);
  });
});
