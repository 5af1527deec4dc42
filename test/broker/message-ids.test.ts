// The identity lookups behind the duplicate filter and the outgoing queues' index: a message is
// known by broker id and counter together, and the filter forgets exactly the oldest.
import { describe, expect, it } from 'vitest';
import { MessageIndex, RecentMessages } from '../../broker/message-ids.ts';

describe('RecentMessages', () => {
  it('refuses a repeat of one of the last `capacity` messages and nothing else', () => {
    const r = new RecentMessages(3);
    expect(r.add('b1', 1)).toBe(true);
    expect(r.add('b1', 1)).toBe(false);
    // Same counter from another broker (after a restart) is another message.
    expect(r.add('b2', 1)).toBe(true);
    expect(r.add('b1', 2)).toBe(true);
    // b1:1 was the oldest of the last three: forgotten now, so it is taken again.
    expect(r.add('b1', 3)).toBe(true);
    expect(r.add('b1', 1)).toBe(true);
    expect(r.add('b1', 2)).toBe(false);
    expect(r.add('b1', 3)).toBe(false);
  });

  it('matches a plain set of the last N string keys on a long random mix', () => {
    const r = new RecentMessages(64);
    const order: string[] = [];
    let seed = 11;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const id = `b${next() % 3}`;
      const counter = next() % 200;
      const key = `${id}:${counter}`;
      const expected = !order.includes(key);
      expect(r.add(id, counter)).toBe(expected);
      if (expected) {
        order.push(key);
        if (order.length > 64) order.shift();
      }
    }
  });
});

describe('MessageIndex', () => {
  it('keeps values by broker id and counter, and forgets deleted ones', () => {
    const m = new MessageIndex<string>();
    m.set('b1', 7, 'a');
    m.set('b2', 7, 'b');
    expect(m.get('b1', 7)).toBe('a');
    expect(m.get('b2', 7)).toBe('b');
    m.delete('b1', 7);
    expect(m.get('b1', 7)).toBeUndefined();
    expect(m.get('b2', 7)).toBe('b');
    m.delete('b3', 1); // unknown: no effect
    expect(m.get('b2', 7)).toBe('b');
  });
});
