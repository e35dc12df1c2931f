// A bare Node process for the footprint benchmark: what any Node program pays before it loads
// anything. Run with the sidecar image's node flags; waits until stopped.
setInterval(() => {}, 2 ** 30);
