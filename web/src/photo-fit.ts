/**
 * The longest side a photo is sent at. The marketplace keeps it at 800 and 200 pixels only, and
 * the Worker decodes what it is sent whole inside its 128 MB: a phone's 12 MP photo is shrunk here,
 * in the browser, to about 2 MP.
 */
export const UPLOAD_LONGEST = 1600;

/**
 * `file` as sent: unchanged when small enough, else redrawn at UPLOAD_LONGEST: a JPEG as a JPEG,
 * anything else as a WebP, since it may be transparent (a product cut out of its background) and a
 * JPEG would paint that black. A browser that cannot write WebP writes a PNG instead.
 */
export async function fitPhoto(file: File): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    // Oriented by its EXIF (the default), as the phone showed it.
    bitmap = await createImageBitmap(file);
  } catch {
    return file; // Not an image the browser reads: the API says what is wrong with it.
  }
  const scale = UPLOAD_LONGEST / Math.max(bitmap.width, bitmap.height);
  if (scale >= 1) {
    bitmap.close();
    return file;
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const type = file.type === "image/jpeg" ? "image/jpeg" : "image/webp";
  const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, type, 0.9));
  return blob ?? file;
}
