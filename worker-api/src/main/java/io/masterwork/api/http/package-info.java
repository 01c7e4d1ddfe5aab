/**
 * Zero-loss reloads for Netty HTTP/1.1 applications: {@link io.masterwork.api.http.HttpHandover} puts the
 * codec and a drain that moves idle keep-alive connections to the next generation into an application's
 * pipeline. Its parts serve an application that builds its own pipeline, as the built-in one does:
 * {@link io.masterwork.api.http.HttpDrain} keeps the connections' drains and decides on adoptions,
 * {@link io.masterwork.api.http.HttpConnectionDrain} decides for one connection, with
 * {@link io.masterwork.api.http.HttpBoundaryDecoder} knowing when it stands between two requests and
 * {@link io.masterwork.api.http.HttpConnectionMove} moving it.
 */
package io.masterwork.api.http;
