// What a plate says, however it was read (its NFC tag, its printed QR code, the phone opening its link): the URL made by
// `paju tag issue` — https://…/t/{tag id}?{signature or SUN parameters}. The URL goes to the server exactly as read: the
// proof is in its query, and the server (not the phone) decides whether it holds.
const platePath = /^\/t\/([0-9a-z]{6,32})$/;

/** { id, url } when the text is a plate's URL; null for anything else (a product barcode, another site's link). */
export function plateOf(text) {
  let url;
  try {
    url = new URL(String(text).trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const match = url.pathname.match(platePath);
  return match ? { id: match[1], url: String(text).trim() } : null;
}
