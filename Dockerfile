# syntax=docker/dockerfile:1
# smtp-sidecar image: docker build -t smtp-sidecar:0.1.0 .
#
# Three stages: Maven builds the jar on JDK 17; the JDK 25 stage jlinks a runtime to the modules the jar needs
# and trains the AOT cache with it; the image is FROM scratch with that runtime, the C libraries it links, the
# jar and the cache: no shell, no package manager. It runs as a numeric non-root user (Kubernetes checks
# runAsNonRoot against the number, not a name) and writes nothing outside /tmp, so the pod can use
# readOnlyRootFilesystem with an emptyDir on /tmp.
#
# The base images are build arguments. CI builds this file with local ones made from Debian's packages
# (scripts/image/bases.sh: Debian's JDK 17 and Maven, and a Debian root with a JDK 25 copied in); see
# docs/IMAGE.md. Any BUILD_IMAGE with mvn on the PATH and any JDK_IMAGE with a JDK 25 (jlink on the PATH) and
# bash will do.
ARG BUILD_IMAGE=maven:3-eclipse-temurin-17
ARG JDK_IMAGE=eclipse-temurin:25-jdk

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml .
COPY src ./src
# The cache mount keeps ~/.m2 between builds without putting it in a layer. The tests are CI's (mvn verify).
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -Dmaven.test.skip=true package

FROM ${JDK_IMAGE} AS jlink
COPY --from=build /src/target/smtp-sidecar.jar /app/smtp-sidecar.jar
# /rootfs: the jlinked runtime in /opt/java, its C libraries, /etc/passwd with 65532, an empty /tmp
RUN --mount=type=bind,source=scripts/image/runtime.sh,target=/tmp/runtime.sh ["bash", "/tmp/runtime.sh", "/app/smtp-sidecar.jar", "/rootfs"]
# the training below runs the jlinked runtime as the image will, not this stage's JDK: the cache only loads with
# the runtime it was made with
ENV PATH=/rootfs/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# glibc: two malloc arenas (see the flags below); set before the training run, which runs as the image does
ENV MALLOC_ARENA_MAX=2
# The AOT cache (JDK 25): classes of the JDK and the jar loaded and linked ahead of time, and method profiles
# for the JIT, from a training run with the ENTRYPOINT's own flags (the cache only loads with the same JDK, jar
# and -XX:+UseCompactObjectHeaders). scripts/aot-train.sh is the training the benchmarks use too: the demo
# session, 300 SMTP sessions with PROXY v1 and v2 headers, scrapes, the refusal mode and the drain. It needs
# bash, which the image does not have: it runs here, and the image takes /app (the jar and its cache) from this
# stage in one COPY, so the cache always ships with the jar it was trained with (a jar changed after training
# is not detected by JDK 25.0.3: the cache's classes were still used).
RUN --mount=type=bind,source=scripts/aot-train.sh,target=/tmp/aot-train.sh ["bash", "/tmp/aot-train.sh", "/app/smtp-sidecar.aot", "java", "-XX:MaxRAMPercentage=60", "-XX:+UseSerialGC", "-Xms24m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:-ShrinkHeapInSteps", "-XX:TrimNativeHeapInterval=5000", "-XX:+UseCompactObjectHeaders", "-XX:-TieredCompilation", "-XX:CICompilerCount=1", "--finalization=disabled", "--enable-native-access=ALL-UNNAMED", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-Dvertx.disableFileCPResolving=true", "-jar", "/app/smtp-sidecar.jar"]
RUN ["chmod", "0444", "/app/smtp-sidecar.jar", "/app/smtp-sidecar.aot"]

FROM scratch
COPY --from=jlink /rootfs/ /
COPY --from=jlink /app/ /app/
ENV PATH=/opt/java/bin
ENV MALLOC_ARENA_MAX=2
USER 65532:65532
# listen.port and metrics.port defaults; the Kubernetes Service maps port 25 to 2525
EXPOSE 2525 9100
# -XX:MaxRAMPercentage caps the heap from the container's memory limit, not the node's, and leaves 40 % for
# Netty's direct buffers, metaspace and thread stacks (over the limit the kernel kills the container, no
# OutOfMemoryError, no log line);
# the serial collector with a small initial heap that gives memory back (Min/MaxHeapFreeRatio; without them
# 191 MB at rest), the periodic trim of glibc's heap (20 MB less at rest for its thread) and two malloc arenas;
# on JDK 25, compact object headers, C2 alone with one compiler thread (no C1 and its code: 13 MB and a thread
# less at rest, about 3 s more CPU once while it warms up), the AOT cache (ready in 0.6-0.8 s instead of 1.4-2.2)
# and no finalization (no Finalizer thread; only Netty classes in the jar finalize, see docs/BENCHMARKS.md) keep
# an idle sidecar at about 93 MB RSS and 20 threads, where JDK 17 with the serial-GC, trim and arena settings
# alone kept 98 MB and 24 (docs/BENCHMARKS.md, "Lean core", change 5; 104 MB and 19 threads at rest after the
# full benchmark's load, changes 6-9);
# -ShrinkHeapInSteps gives the heap back in one full collection (the sidecar runs one when it goes idle, see
# health/IdleHeap) instead of over four; --enable-native-access lets Netty load its epoll library without JDK 25's
# three-line warning at every start;
# ExitOnOutOfMemoryError lets the kubelet restart a broken JVM instead of keeping it half alive;
# disableFileCPResolving stops Vert.x from unpacking classpath files into a cache directory.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-XX:+UseSerialGC", "-Xms24m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:-ShrinkHeapInSteps", "-XX:TrimNativeHeapInterval=5000", "-XX:+UseCompactObjectHeaders", "-XX:-TieredCompilation", "-XX:CICompilerCount=1", "--finalization=disabled", "--enable-native-access=ALL-UNNAMED", "-XX:AOTCache=/app/smtp-sidecar.aot", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-Dvertx.disableFileCPResolving=true", "-jar", "/app/smtp-sidecar.jar"]
# The configuration is mounted here (a ConfigMap mounted as a directory, so that hot reload sees updates).
CMD ["--config", "/etc/smtp-sidecar/sidecar.yaml"]
