// The alert chime: a two-tone WebAudio sound (no file to fetch), repeated while any critical alert
// is unacknowledged, so an acknowledgement anywhere silences every wall. Mutable by the header
// button or the `m` key (remembered), or `?mute=1`.
const STORE_KEY = 'parkpulse.muted';
const REPEAT_MS = 8000;

let ctx: AudioContext | null = null;
let muted = new URLSearchParams(location.search).get('mute') === '1' || localStorage.getItem(STORE_KEY) === '1';
let timer: number | undefined;
let wanted = false;

/** For tests and diagnostics: how often the chime sounded and whether it wants to. */
export const chimeStatus = { played: 0, wanted: false, muted };

function tone(at: number, freq: number, dur: number): void {
  const osc = ctx!.createOscillator();
  const gain = ctx!.createGain();
  osc.type = 'sine';
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.35, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + dur);
  osc.connect(gain).connect(ctx!.destination);
  osc.start(at);
  osc.stop(at + dur + 0.05);
}

function play(): void {
  chimeStatus.played++;
  if (muted) return;
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
    const now = ctx.currentTime;
    tone(now, 880, 0.35);
    tone(now + 0.4, 660, 0.5);
  } catch {
    // No audio device (or autoplay refused until a gesture): the flashing row still shows it.
  }
}

/** Keeps the chime going while `on` is true (an unacknowledged critical alert exists). */
export function chimeWhile(on: boolean): void {
  chimeStatus.wanted = on;
  if (on === wanted) return;
  wanted = on;
  window.clearInterval(timer);
  if (on) {
    play();
    timer = window.setInterval(play, REPEAT_MS);
  }
}

export function setMuted(m: boolean): void {
  muted = m;
  chimeStatus.muted = m;
  localStorage.setItem(STORE_KEY, m ? '1' : '0');
}

export function isMuted(): boolean {
  return muted;
}
