import { z } from 'zod';

/** Network schemes a camera URL may use (FFmpeg is started with a protocol whitelist for each). */
export const SOURCE_SCHEMES = ['rtsp', 'rtsps', 'http', 'https', 'srt', 'udp', 'rtmp', 'rtmps'] as const;
export type SourceScheme = (typeof SOURCE_SCHEMES)[number];

/** A host rule: an IP address, a CIDR block, a host name or `*.domain`. */
const hostRule = z
  .string()
  .min(1)
  .max(255)
  .regex(/^(\*\.)?[A-Za-z0-9._:-]+(\/\d{1,3})?$/, 'must be an IP address, a CIDR block (10.0.0.0/8), a host name or *.domain');

/** `sources:` section: which camera sources (URLs, files) are allowed, for the config file and the API alike. */
export const sourcesSchema = z
  .strictObject({
    /** Network schemes camera URLs may use; anything else (concat:, subfile:, pipe:, data:, hls:, ftp:, ...) is refused. @defaultValue [rtsp, rtsps, http, https, srt, udp, rtmp] */
    schemes: z
      .array(z.enum(SOURCE_SCHEMES, { error: `must be one of ${SOURCE_SCHEMES.join(', ')}` }))
      .default(['rtsp', 'rtsps', 'http', 'https', 'srt', 'udp', 'rtmp']),
    files: z
      .strictObject({
        /** File inputs (paths, file:/// URLs) in the config file. @defaultValue true */
        enabled: z.boolean().default(true),
        /** Directories file inputs must be inside (after `..` and, for the API, symlinks are resolved); relative to the working directory. Empty: anywhere for the config file, never for the API. @defaultValue [] */
        roots: z.array(z.string().min(1)).default([]),
        /** Cameras added with PUT /api/cameras may be files (inside `roots`, which must then be set). @defaultValue false */
        api: z.boolean().default(false),
      })
      .prefault({}),
    /** Hosts of cameras added through the API: when not empty, a camera host must match one of these. Loopback (local restreamers such as go2rtc) is allowed unless denied. @defaultValue [] */
    allowHosts: z.array(hostRule).default([]),
    /** Hosts refused for cameras added through the API (checked first; names are also resolved and every address checked). @defaultValue link-local and cloud metadata addresses */
    denyHosts: z.array(hostRule).default(['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128', 'fd00:ec2::254/128']),
  })
  .prefault({});
export type SourcesConfig = z.infer<typeof sourcesSchema>;
