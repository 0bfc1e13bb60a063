# syntax=docker/dockerfile:1
# smtp-sidecar image: docker build -t smtp-sidecar:0.1.0 .
#
# The runtime stage runs as a numeric non-root user (Kubernetes checks runAsNonRoot against the number, not a
# name) and writes nothing outside /tmp, so the pod can use readOnlyRootFilesystem with an emptyDir on /tmp.

FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY src ./src
# The cache mount keeps ~/.m2 between builds without putting it in a layer.
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -DskipTests package

FROM eclipse-temurin:17-jre
COPY --from=build /src/target/smtp-sidecar.jar /app/smtp-sidecar.jar
USER 65532:65532
# listen.port and metrics.port defaults; the Kubernetes Service maps port 25 to 2525
EXPOSE 2525 9100
# -XX:MaxRAMPercentage caps the heap from the container's memory limit, not the node's, and leaves 40 % for
# Netty's direct buffers, metaspace and thread stacks (over the limit the kernel kills the container, no
# OutOfMemoryError, no log line);
# the serial collector with a small initial heap that gives memory back (Min/MaxHeapFreeRatio), the periodic
# trim of glibc's heap and two malloc arenas keep an idle sidecar at about 100 MB RSS and 24 threads where the
# JVM's defaults (G1) kept 289 MB and 29, for 7 % more CPU per session, inside the A/B noise (docs/BENCHMARKS.md);
# ExitOnOutOfMemoryError lets the kubelet restart a broken JVM instead of keeping it half alive;
# disableFileCPResolving stops Vert.x from unpacking classpath files into a cache directory.
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-XX:+UseSerialGC", "-Xms24m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:TrimNativeHeapInterval=5000", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-Dvertx.disableFileCPResolving=true", "-jar", "/app/smtp-sidecar.jar"]
# The configuration is mounted here (a ConfigMap mounted as a directory, so that hot reload sees updates).
CMD ["--config", "/etc/smtp-sidecar/sidecar.yaml"]
