package io.flotilla.agent.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's 128 subnode uids never include a uid or gid the host uses. */
class SubnodeUidsTest {

    @TempDir
    Path etc;

    @Test
    void aRangeClearOfTheHostsUsersAndSubordinateRangesIsAccepted() throws Exception {
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n");
        Files.writeString(etc.resolve("subuid"), "alice:100000:65536\n");
        assertThat(SubnodeUids.conflict(200_000, etc)).isEmpty();
        assertThat(SubnodeUids.of(200_000, 127)).isEqualTo(200_127);
    }

    @Test
    void eachConflictIsNamed() throws Exception {
        Files.writeString(etc.resolve("passwd"), "svc:x:200050:200050::/:/usr/sbin/nologin\n");
        Files.writeString(etc.resolve("group"), "grp:x:300100:\n");
        Files.writeString(etc.resolve("subgid"), "bob:400000:65536\n");
        assertThat(SubnodeUids.conflict(200_000, etc)).contains("uids 200000-200127 include 200050 of svc in /etc/passwd");
        assertThat(SubnodeUids.conflict(300_000, etc)).contains("uids 300000-300127 include 300100 of grp in /etc/group");
        assertThat(SubnodeUids.conflict(399_900, etc)).contains("uids 399900-400027 overlap bob's range 400000-465535 in /etc/subgid");
        assertThat(SubnodeUids.conflict(65_534, etc)).hasValueSatisfying(m -> assertThat(m).startsWith("must be between 100000"));
    }
}
