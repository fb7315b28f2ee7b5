package dev.modproxy.operator.warmup;

import dev.modproxy.contract.admin.WarmupReport;

/**
 * The proxy's account of a warm-up, read while status.warmup said the list of {@code submittedGeneration} was
 * running: a list is only sent for a new generation, so the generation names the job the answer is about.
 */
public record WarmupReading(Long submittedGeneration, WarmupReport report) {}
