/** Bytes in a GiB: sizes and replay lags are compared in bytes, bounds are given in GB as gprecoverseg takes them. */
export const GiB = 1024 ** 3;
