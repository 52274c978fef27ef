package io.hlo4j.runtime.conformance;

/** The outcome of one conformance file. */
public enum Verdict { PASS, FAIL, ERROR, SKIP }
