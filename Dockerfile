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
# -XX:MaxRAMPercentage sizes the heap from the container's memory limit, not the node's, and leaves 40 % for
# Netty's direct buffers, metaspace and thread stacks (over the limit the kernel kills the container, no
# OutOfMemoryError, no log line);
# ExitOnOutOfMemoryError lets the kubelet restart a broken JVM instead of keeping it half alive;
# disableFileCPResolving stops Vert.x from unpacking classpath files into a cache directory.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-Dvertx.disableFileCPResolving=true", "-jar", "/app/smtp-sidecar.jar"]
# The configuration is mounted here (a ConfigMap mounted as a directory, so that hot reload sees updates).
CMD ["--config", "/etc/smtp-sidecar/sidecar.yaml"]
