/**
 * The contract between masterwork workers and the application they run: a downstream server
 * compiles against this package only. See {@link io.masterwork.api.WorkerApplication}.
 */
package io.masterwork.api;
