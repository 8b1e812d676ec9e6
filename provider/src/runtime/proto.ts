/**
 * Protobuf message coding for the plugin protocol, from the .proto files via protobufjs reflection (no
 * generated code to keep in sync). From source the .proto text is parsed; the bundle embeds the parsed
 * descriptor (`__TOKENFORM_PROTO_JSON__`, see provider/build.ts), which loads faster. Types resolve on
 * first use. Messages cross this boundary as plain objects with the .proto's snake_case field names;
 * `protocol/` turns them into the provider's own request/response types.
 */
import protobuf from "protobufjs";
import { type ProtoSources, protoSources } from "../proto/source.js";

/** The parsed descriptor, embedded by the bundler; undefined when running from source. */
declare const __TOKENFORM_PROTO_JSON__: protobuf.INamespace | undefined;

/** Parses the .proto texts into one protobufjs root (field names kept as written). */
export function parseProto(sources: ProtoSources): protobuf.Root {
  const r = new protobuf.Root();
  protobuf.parse(sources.tfplugin6, r, { keepCase: true });
  protobuf.parse(sources.plugin, r, { keepCase: true });
  return r;
}

/** A decoded protobuf message as a plain object (snake_case fields, int64 as number, bytes as Uint8Array). */
export type Message = Record<string, unknown>;

/** Encoder/decoder pair of one message type. */
export interface MessageCodec {
  decode(bytes: Uint8Array): Message;
  encode(message: Message): Uint8Array;
}

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  root ??=
    typeof __TOKENFORM_PROTO_JSON__ !== "undefined"
      ? protobuf.Root.fromJSON(__TOKENFORM_PROTO_JSON__)
      : parseProto(protoSources());
  return root;
}

const codecs = new Map<string, MessageCodec>();

/** The codec of a fully qualified message type, e.g. `tfplugin6.GetProviderSchema.Response`. */
export function messageCodec(typeName: string): MessageCodec {
  const cached = codecs.get(typeName);
  if (cached) return cached;
  const type = loadRoot().lookupType(typeName);
  const codec: MessageCodec = {
    decode: (bytes) => type.toObject(type.decode(bytes), { longs: Number, enums: String, defaults: false }),
    encode: (message) => type.encode(type.fromObject(message)).finish(),
  };
  codecs.set(typeName, codec);
  return codec;
}

/** The request and response type names of a service method, e.g. `tfplugin6.Provider` / `GetMetadata`. */
export function methodTypes(service: string, method: string): { request: string; response: string } {
  const m = loadRoot().lookupService(service).methods[method];
  if (!m) throw new Error(`no method ${service}/${method} in the .proto files`);
  m.resolve();
  // fullName starts with a dot (".tfplugin6.GetMetadata.Request").
  return {
    request: m.resolvedRequestType!.fullName.slice(1),
    response: m.resolvedResponseType!.fullName.slice(1),
  };
}
