package io.hlo4j.runtime.array;

/** One complex element: real and imaginary parts. */
public record Complex(double re, double im) {}
