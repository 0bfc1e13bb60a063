package io.smtpsidecar;
public final class Main { public static void main(String[] a) {} }
