// Date fields of the console: typed as `YYYY-MM-DD HH:mm` and read in the park's time zone (the
// zone is in the label), not a datetime-local picker, which shows and reads the browser's zone
// in the browser's locale (06/30/2024, 09:26 PM on an English laptop in UTC).
import { parkZone, parseField, utcOffset } from '../park-time.ts';
import { h } from './dom.ts';
import { t } from './i18n.ts';

const PATTERN = '\\s*\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2})?)?\\s*';

export function timeField(name: string, label: string): HTMLLabelElement {
  const hint = t('timeHint', { zone: `${parkZone()} ${utcOffset(Date.now())}` });
  const input = h('input', { name, type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: '2024-06-30 21:00', pattern: PATTERN, title: hint, size: 16, 'data-zone': parkZone() });
  input.addEventListener('input', () => input.setCustomValidity(input.value.trim() === '' || parseField(input.value) !== null ? '' : t('badTime')));
  return h('label', { className: 'field' }, `${label} (${utcOffset(Date.now())})`, input);
}

/** A time field's value -> ms as a string, or '' when empty or not a time. */
export function msOf(v: FormDataEntryValue | null): string {
  if (typeof v !== 'string' || v.trim() === '') return '';
  const ms = parseField(v);
  return ms === null ? '' : String(ms);
}
