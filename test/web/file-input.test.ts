import { describe, expect, it } from "vitest";
import { takeFiles } from "../../web/src/file-input";

describe("a file input's pick", () => {
  it("hands over the files picked and empties the input, so the same file picked again fires again", () => {
    const photo = new File(["jpeg"], "parcel.jpg", { type: "image/jpeg" });
    const input = { files: [photo], value: "C:\\fakepath\\parcel.jpg" };
    const files = takeFiles(input as unknown as HTMLInputElement);
    expect(files).toEqual([photo]);
    expect(input.value).toBe("");
  });

  it("keeps the files when emptying the input clears its live list", () => {
    const photos = [new File(["a"], "a.jpg"), new File(["b"], "b.jpg")];
    const live = [...photos];
    const input = {
      files: live,
      get value() {
        return live.length ? "C:\\fakepath\\a.jpg" : "";
      },
      set value(_: string) {
        live.length = 0;
      },
    };
    expect(takeFiles(input as unknown as HTMLInputElement)).toEqual(photos);
  });
});
