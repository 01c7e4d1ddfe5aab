/**
 * Zero-loss reloads for Netty HTTP/1.1 applications: {@link io.masterwork.api.http.HttpHandover} puts the
 * codec and a drain that moves idle keep-alive connections to the next generation into an application's
 * pipeline; {@link io.masterwork.api.http.HttpBoundaryDecoder} and
 * {@link io.masterwork.api.http.HttpConnectionMove} are its parts, shared with the built-in application.
 */
package io.masterwork.api.http;
