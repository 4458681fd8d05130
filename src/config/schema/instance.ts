import { z } from 'zod';

/** `instance:` section: this process's identity among the processes sharing one Redis, and its leases. */
export const instanceSchema = z
  .strictObject({
    /**
     * Stable name of this process (one per container or unit; also `VIGIL_INSTANCE_ID`). A restarted process with
     * the same id reclaims its cameras at once. Omitted: kept in a state file per host, prefix and roles.
     */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'letters, digits and _ . : @ - only, at most 128 characters')
      .optional(),
    /** Folder of the instance state file. @defaultValue the OS temp folder */
    stateDir: z.string().min(1).optional(),
    /**
     * Lease time to live: another process takes over a dead owner's cameras (ingest and tracking) within about
     * 1.33 × this. Renewed every third of it. @defaultValue 3
     */
    leaseSeconds: z.number().min(0.3).max(120).default(3),
  })
  .prefault({});
export type InstanceConfig = z.infer<typeof instanceSchema>;
