import { useEffect, useRef, useState } from "react";

/**
 * Reads barcodes from the camera with the BarcodeDetector polyfill (ZXing compiled to
 * WebAssembly; Chromium on Linux has no native detector). The decoder and its .wasm are loaded
 * only when a scan starts, and the .wasm is served from our own origin.
 */
/** How long a barcode must be out of view before it counts again: a frame or two missed is not a new unit. */
export const ABSENT_MS = 1000;

/**
 * The codes that came into view: each barcode counts once while it stays in view, however many
 * frames read it, and again only once it was out of view for `absentMs` (the next unit of the
 * same item brought under the camera). Pack counts every code it is told as one unit scanned.
 */
export function scanGate(absentMs = ABSENT_MS) {
  const seen = new Map<string, number>();
  return (codes: readonly string[], now: number): string[] => {
    const arrived = [...new Set(codes.filter((c) => c !== ""))].filter(
      (c) => now - (seen.get(c) ?? Number.NEGATIVE_INFINITY) >= absentMs,
    );
    for (const [c, at] of seen) if (now - at >= absentMs) seen.delete(c);
    for (const c of codes) seen.set(c, now);
    return arrived;
  };
}

export function Scanner({ onCode }: { onCode: (code: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  // Whether the camera is wanted; `state` only says how far it got. The effect follows `on` alone:
  // following `state` stopped the camera the moment it started (its own "scanning" re-ran it).
  const [on, setOn] = useState(false);
  const [state, setState] = useState<"starting" | "scanning" | "error">("starting");
  const [error, setError] = useState<string | null>(null);
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;

  useEffect(() => {
    if (!on) return;
    setState("starting");
    setError(null);
    let stream: MediaStream | null = null;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    (async () => {
      try {
        const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
          import("barcode-detector/ponyfill"),
          import("zxing-wasm/reader/zxing_reader.wasm?url"),
        ]);
        prepareZXingModule({
          overrides: {
            locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
          },
        });
        const detector = new BarcodeDetector({
          formats: ["ean_13", "ean_8", "upc_a", "code_128", "code_39", "qr_code"],
        });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        // Stopped while the permission prompt was open: the camera it granted goes off at once.
        if (stopped || !video.current) {
          for (const t of stream.getTracks()) t.stop();
          return;
        }
        video.current.srcObject = stream;
        await video.current.play();
        setState("scanning");
        const arrived = scanGate();
        const tick = async () => {
          if (stopped || !video.current) return;
          const found = await detector.detect(video.current).catch(() => []);
          for (const code of arrived(
            found.map((f) => f.rawValue),
            Date.now(),
          )) {
            onCodeRef.current(code);
          }
          timer = setTimeout(tick, 200);
        };
        void tick();
      } catch (err) {
        if (stopped) return;
        setError(err instanceof Error ? err.message : String(err));
        setState("error");
        setOn(false);
      }
    })();
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const t of stream?.getTracks() ?? []) t.stop();
    };
  }, [on]);

  return (
    <div className="scanner stack">
      {on ? (
        <button type="button" className="button" onClick={() => setOn(false)}>
          Stop camera
        </button>
      ) : (
        <button type="button" className="button" onClick={() => setOn(true)}>
          Scan with camera
        </button>
      )}
      {error && <p className="notice">Camera unavailable ({error}); type the barcode instead.</p>}
      <video ref={video} className={on && state === "scanning" ? "camera" : "hidden"} muted playsInline />
    </div>
  );
}
