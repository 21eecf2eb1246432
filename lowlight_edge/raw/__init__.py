"""RAW frames in: reading (rawpy/LibRaw), Bayer packing, ratios, a synthetic sensor, DNG writing, SID lists."""
