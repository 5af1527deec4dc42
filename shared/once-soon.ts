// Coalescing to the next turn of the event loop: many triggers in one turn (a burst of messages)
// make one run, right after the turn, not one run each.

/** A trigger that runs `fn` once on the next turn (setImmediate), however often it is called before that. */
export function onceSoon(fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      fn();
    });
  };
}
