// The alert chime: a two-tone WebAudio sound (no file to fetch). It sounds once for each new
// critical alert (several arriving together: once), then reminds every `reminderMs` (the screen
// server's SCREEN_CHIME_REMINDER_MS, default 60 s; `?chimeEvery=<seconds>` overrides) while any
// critical alert is unacknowledged, so an acknowledgement anywhere silences every wall, and an
// operator does not learn to ignore a sound that never stops. Mutable by the header button or the
// `m` key (remembered), or `?mute=1`.
const STORE_KEY = 'parkpulse.muted';
const params = new URLSearchParams(location.search);

let ctx: AudioContext | null = null;
let muted = params.get('mute') === '1' || localStorage.getItem(STORE_KEY) === '1';
let timer: number | undefined;
let reminderMs = (Number(params.get('chimeEvery')) || 0) * 1000 || 60_000;
const fromUrl = params.has('chimeEvery');

/** For tests and diagnostics: how often the chime sounded, for what, and whether it reminds. */
export const chimeStatus = { played: 0, news: 0, reminders: 0, wanted: false, muted, reminderMs, lastAt: 0 };

/** The server's reminder interval (a `?chimeEvery=` in the address wins). */
export function setReminderMs(ms: number): void {
  if (fromUrl || !(ms > 0)) return;
  reminderMs = ms;
  chimeStatus.reminderMs = ms;
  if (timer !== undefined) restartReminder();
}

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

function play(why: 'news' | 'reminder'): void {
  chimeStatus.played++;
  chimeStatus[why === 'news' ? 'news' : 'reminders']++;
  chimeStatus.lastAt = Date.now();
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

function restartReminder(): void {
  window.clearInterval(timer);
  timer = window.setInterval(() => play('reminder'), reminderMs);
}

/**
 * Called on every change of the open alerts: `news` new critical alerts appeared (sound once
 * now), `unacknowledged` whether any critical alert waits for someone (keep reminding).
 */
export function chimeFor(news: number, unacknowledged: boolean): void {
  chimeStatus.wanted = unacknowledged;
  if (!unacknowledged) {
    window.clearInterval(timer);
    timer = undefined;
    return;
  }
  if (news > 0) {
    play('news');
    restartReminder(); // the next reminder is a full interval after the news
  } else if (timer === undefined) restartReminder();
}

export function setMuted(m: boolean): void {
  muted = m;
  chimeStatus.muted = m;
  localStorage.setItem(STORE_KEY, m ? '1' : '0');
}

export function isMuted(): boolean {
  return muted;
}
