let audio: AudioContext | null = null;

/** Browsers allow sound only after a user gesture: the first tap anywhere unlocks it. */
export function unlockSound() {
  if (!audio && typeof AudioContext !== "undefined") audio = new AudioContext();
  void audio?.resume();
}

/** A short two-tone chime for a new sub-order, plus a system notification when allowed. */
export function announce(title: string) {
  if (audio && audio.state === "running") {
    const t = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.2, t + i * 0.15);
      gain.gain.exponentialRampToValueAtTime(0.001, t + i * 0.15 + 0.14);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.15);
      osc.stop(t + i * 0.15 + 0.15);
    }
  }
  if (typeof Notification !== "undefined" && Notification.permission === "granted" && document.hidden) {
    new Notification(title);
  }
}
