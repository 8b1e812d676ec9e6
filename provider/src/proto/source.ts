/**
 * The text of the provider's .proto files. From source they are read beside this module; the bundled
 * executable has them embedded at build time (esbuild `define` of `__TOKENFORM_PROTO__`, see
 * provider/build.ts), so the one-file provider needs nothing else on disk.
 */
import { readFileSync } from "node:fs";

/** Embedded by the bundler; undefined when running from source. */
declare const __TOKENFORM_PROTO__: ProtoSources | undefined;

/** The .proto texts by file name. */
export interface ProtoSources {
  /** tfplugin6.proto: the Terraform provider protocol subset. */
  tfplugin6: string;
  /** plugin.proto: go-plugin's GRPCController. */
  plugin: string;
}

/** Reads the .proto files from the source tree (the build embeds what this returns). */
export function readProtoFiles(): ProtoSources {
  return {
    tfplugin6: readFileSync(new URL("./tfplugin6.proto", import.meta.url), "utf8"),
    plugin: readFileSync(new URL("./plugin.proto", import.meta.url), "utf8"),
  };
}

export function protoSources(): ProtoSources {
  return typeof __TOKENFORM_PROTO__ !== "undefined" ? __TOKENFORM_PROTO__ : readProtoFiles();
}
