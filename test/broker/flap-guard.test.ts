// The flapping ban and the token bucket with a hand-driven clock: exact edges, and a table that
// stays bounded when a scanner cycles through random client ids.
import { describe, expect, it } from 'vitest';
import { createFlapGuard } from '../../broker/flap-guard.ts';
import { createTokenBucket } from '../../broker/rate-limiter.ts';

describe('flap guard', () => {
  it('bans the connect after the limit for the ban time, without extending it, then starts afresh', () => {
    let t = 0;
    const g = createFlapGuard({ maxConnects: 3, windowMs: 10_000, banMs: 5000 }, () => t);
    for (let i = 0; i < 3; i++) expect(g.attempt('cam-001')).toBe(0);
    expect(g.attempt('cam-001')).toBe(5000);
    t = 4000;
    expect(g.attempt('cam-001')).toBe(1000); // attempts during the ban do not extend it
    expect(g.attempt('cam-002')).toBe(0); // others are unaffected
    t = 5000;
    for (let i = 0; i < 3; i++) expect(g.attempt('cam-001')).toBe(0);
    expect(g.attempt('cam-001')).toBe(5000);
  });

  it('answers bannedFor without recording an attempt (the broker asks before authenticating)', () => {
    let t = 0;
    const g = createFlapGuard({ maxConnects: 1, windowMs: 10_000, banMs: 5000 }, () => t);
    for (let i = 0; i < 100; i++) expect(g.bannedFor('cam-001')).toBe(0); // strangers' attempts count for nothing
    expect(g.attempt('cam-001')).toBe(0);
    expect(g.attempt('cam-001')).toBe(5000);
    t = 1000;
    expect(g.bannedFor('cam-001')).toBe(4000);
    t = 5000;
    expect(g.bannedFor('cam-001')).toBe(0);
  });

  it('forgets windows that passed, so a slow reconnector is never banned', () => {
    let t = 0;
    const g = createFlapGuard({ maxConnects: 2, windowMs: 1000, banMs: 5000 }, () => t);
    for (let i = 0; i < 50; i++, t += 600) expect(g.attempt('g5-01')).toBe(0);
  });

  it('keeps its table bounded against random client ids', () => {
    let t = 0;
    const g = createFlapGuard({ maxConnects: 3, windowMs: 60_000, banMs: 60_000, maxTracked: 100 }, () => t++);
    for (let i = 0; i < 10_000; i++) g.attempt(`scanner-${i}`);
    expect(g.size).toBeLessThanOrEqual(100);
  });

  it('is off with maxConnects 0', () => {
    const g = createFlapGuard({ maxConnects: 0, windowMs: 1000, banMs: 1000 });
    for (let i = 0; i < 100; i++) expect(g.attempt('x')).toBe(0);
    expect(g.size).toBe(0);
  });
});

describe('token bucket', () => {
  it('allows the burst at once, then the sustained rate', () => {
    let t = 0;
    const b = createTokenBucket({ perSecond: 10, burst: 5 }, () => t);
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t = 100; // one token refilled
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t = 10_000; // never more than the burst
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });
});
