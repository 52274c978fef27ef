package com.example.jpms.hidden;

/** A record in a package module-info.java neither exports nor opens: hlo4j must refuse it naming the fix. */
public record Hidden<T>(T w) {}
