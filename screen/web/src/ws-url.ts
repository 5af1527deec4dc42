// Where the live WebSocket is, with the viewer token the server requires. The wall screen's address
// carries the token once (`http://host:8080/?token=…`, as `npm start` prints it): the page keeps it
// in localStorage, for reloads and reboots of the wall PC, and takes it out of the address bar so
// it is not left on screen, in the history, or in a screenshot. `?lang=en` and the rest stay.

const STORAGE_KEY = 'parkpulse.viewerToken';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled (privacy mode, sandboxed frame): the token lives in this page only
  }
}

let remembered: string | null = null;

/** ws(s)://<this host>/ws?token=… (no token parameter when the page never had one). */
export function liveSocketUrl(): string {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    remembered = fromUrl;
    try {
      storage()?.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // quota or policy: keep it in memory for this page
    }
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
  const token = remembered ?? storage()?.getItem(STORAGE_KEY) ?? null;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
