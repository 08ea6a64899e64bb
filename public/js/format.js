// French formatting: dates, sizes, file types.
const dateTimeFmt = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short' });
const longFmt = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeStyle: 'short' });
const dateFmt = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long' });
const num = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

const valid = (iso) => iso && !Number.isNaN(new Date(iso).getTime());
export const dateTime = (iso) => (valid(iso) ? dateTimeFmt.format(new Date(iso)) : '');
export const longDateTime = (iso) => (valid(iso) ? longFmt.format(new Date(iso)) : '');
export const dateOnly = (iso) => (valid(iso) ? dateFmt.format(new Date(iso)) : '');

/** 512 octets, 12 Ko, 1,4 Mo */
export function size(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} octet${n > 1 ? 's' : ''}`;
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} Ko`;
  return `${num.format(n / (1024 * 1024))} Mo`;
}

const TYPES = {
  'application/pdf': 'Document PDF', 'image/jpeg': 'Image JPEG', 'image/png': 'Image PNG',
  'image/tiff': 'Image TIFF', 'text/plain': 'Texte', 'application/rtf': 'Document RTF', 'text/rtf': 'Document RTF',
};
/** A type a person can read; the MIME type stays visible for anything unusual. */
export function typeLabel(type, isCda) {
  const t = String(type || '').split(';')[0].trim().toLowerCase();
  if (isCda) return 'Document de santé (CDA)';
  return TYPES[t] || t || 'Type inconnu';
}

/** "dans 5 minutes" from a Retry-After header (seconds or HTTP date). */
export function waitText(retryAfter) {
  if (!retryAfter) return '';
  let s = Number(retryAfter);
  if (Number.isNaN(s)) s = Math.round((new Date(retryAfter).getTime() - Date.now()) / 1000);
  if (!(s > 0)) return '';
  if (s < 60) return `Vous pourrez réessayer dans ${s} seconde${s > 1 ? 's' : ''}.`;
  const m = Math.ceil(s / 60);
  return `Vous pourrez réessayer dans ${m} minute${m > 1 ? 's' : ''}.`;
}

export const personName = (name, address) => (name ? `${name} (${address})` : address);
