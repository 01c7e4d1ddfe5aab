package io.masterwork.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test (class or method) whose assertions bound time, memory or CPU (a deadline met within a slack, a worker's
 * RSS, a nice value's share, a spare that starts at idle priority): another class's masters on the same two CPUs
 * would skew what it measures. Failsafe runs these one at a time, after the others have run two classes at a time
 * (integration-tests/pom.xml).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("timing-sensitive")
@interface TimingSensitive {
}
