// When the page's work runs: drawing at most once per animation frame, however many events
// arrive in between; presses of a button that each start where the last one ended, one at a
// time.

export function oncePerFrame(draw) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  };
}

/**
 * `work` (async) one call at a time: a call made while one runs waits for it to end, so each
 * starts from what the one before it left (two quick presses of Step are two steps, not the
 * same step asked for twice). A call that fails does not stop the next.
 */
export function oneAtATime(work) {
  let last = Promise.resolve();
  return (...args) => {
    const call = last.then(() => work(...args));
    last = call.catch(() => {});
    return call;
  };
}
