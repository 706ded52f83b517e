import { useEffect, useRef, useState } from "react";

/**
 * Reads barcodes from the camera with the BarcodeDetector polyfill (ZXing compiled to
 * WebAssembly; Chromium on Linux has no native detector). The decoder and its .wasm are loaded
 * only when a scan starts, and the .wasm is served from our own origin.
 */
/**
 * Frames in a row a barcode must be missing from before it counts again: one or two the detector
 * misses (glare, blur) are not a new unit, however long a slow phone takes to decode each frame.
 */
export const ABSENT_FRAMES = 3;

/**
 * The codes that came into view in each frame read: a barcode counts once while it stays in view,
 * however many frames read it, and again only once ABSENT_FRAMES frames in a row went without it
 * (the next unit of the same item brought under the camera). Pack counts every code it is told
 * as one unit scanned. Counted in frames, not time: frames come as fast as the decoder allows.
 */
export function scanGate(absentFrames = ABSENT_FRAMES) {
  const missed = new Map<string, number>();
  return (codes: readonly string[]): string[] => {
    const inView = new Set(codes.filter((c) => c !== ""));
    const arrived = [...inView].filter((c) => !missed.has(c));
    for (const [c, n] of missed) {
      if (inView.has(c)) continue;
      if (n + 1 >= absentFrames) missed.delete(c);
      else missed.set(c, n + 1);
    }
    for (const c of inView) missed.set(c, 0);
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
          for (const code of arrived(found.map((f) => f.rawValue))) onCodeRef.current(code);
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
