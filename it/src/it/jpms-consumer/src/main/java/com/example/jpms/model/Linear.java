package com.example.jpms.model;

/** Parameters as a pytree: one record for specs, tensors and host arrays. Its package is opened to io.hlo4j.dsl. */
public record Linear<T>(T w, T b) {}
