// Options with defaults: each module declares its defaults once, in an exported frozen DEFAULT_*
// object, and merges what its caller gave over it. The CLI's settings table (bin/config/settings.ts)
// reads the same objects, so a default is written in one place only.

/** `given` over `defaults`, key by key; an `undefined` in `given` keeps the default (unlike a spread). */
export function withDefaults<T extends object>(defaults: Readonly<T>, given: { readonly [K in keyof T]?: T[K] | undefined } | undefined): T {
  const out = { ...defaults } as T;
  if (given) {
    for (const [key, value] of Object.entries(given)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
