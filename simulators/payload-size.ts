// Load devices send payloads of a chosen size without bending the contract: the meter schema is
// strict (no extra fields), so the size comes first from float precision (a real meter may report
// raw doubles) and then from JSON whitespace, which every parser ignores and the schema never sees.
// The broker and the wire carry the full size, which is what a payload-size load test is about.

/** Smallest payload a meter reading can be squeezed to depends on its values; about 100 bytes. */
export function sizedJson(payload: Record<string, unknown>, bytes: number): string {
  const withDigits = (digits: number): string =>
    JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(digits)) : v));
  // Most decimals that still fit: more precision, up to what a double holds; at worst whole numbers.
  let best = withDigits(0);
  for (let digits = 15; digits > 0; digits--) {
    const text = withDigits(digits);
    if (Buffer.byteLength(text) <= bytes) {
      best = text;
      break;
    }
  }
  const missing = bytes - Buffer.byteLength(best);
  // Insignificant whitespace before the closing brace (RFC 8259 section 2).
  return missing > 0 ? `${best.slice(0, -1)}${' '.repeat(missing)}}` : best;
}
