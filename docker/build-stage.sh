#!/bin/sh
# Runs inside the images' build stage (docker/Dockerfile, docker/Dockerfile.gpu) and lays out, under /out, what the
# runtime stage copies:
#   /out/jre      a Java runtime linked (jlink) from just the modules the jars use
#   /out/lib      third-party runtime libraries of the plugin and ingest, and the logging backend (slf4j-simple)
#   /out/app      the project's own jars (their own layer: a code change ships as a ~1 MB layer)
#   /out/ort-native  ONNX Runtime's Linux x86-64 libraries, out of its jar
#   /out/broker   (broker) the workshop jar and the broker's libraries that /out/lib lacks
#   /out/cuda     (gpu) the CUDA and cuDNN runtime libraries, unpacked from Maven Central by the gpu profile
# Usage: build-stage.sh cpu|gpu|broker
set -eu
KIND=$1
cd /src
# This machine's extra CA certificates (mounted at /mfs-extra-ca by docker/images.sh, absent elsewhere) are trusted by
# Maven only, through a private trust store deleted at the end: none of them reaches a layer of any image.
if ls /mfs-extra-ca/*.crt >/dev/null 2>&1; then
  cp -L /etc/ssl/certs/java/cacerts /tmp/mvn-trust
  for c in /mfs-extra-ca/*.crt; do
    keytool -importcert -noprompt -keystore /tmp/mvn-trust -storepass changeit -alias "extra-$(basename "$c")" \
      -file "$c" >/dev/null 2>&1
  done
  export MAVEN_OPTS="${MAVEN_OPTS:-} -Djavax.net.ssl.trustStore=/tmp/mvn-trust -Djavax.net.ssl.trustStorePassword=changeit"
fi
# The building machine's own Maven repository (mounted read-only by docker/images.sh, absent elsewhere) is asked before
# Maven Central: where `mvn verify` runs this build, everything is already there and nothing is downloaded twice.
SETTINGS=""
if [ -d /mfs-host-m2/org ]; then
  cat >/tmp/mvn-settings.xml <<'END'
<settings>
  <profiles>
    <profile>
      <id>host-m2</id>
      <repositories>
        <repository><id>host-m2</id><url>file:///mfs-host-m2</url><snapshots><enabled>false</enabled></snapshots></repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>host-m2</id><url>file:///mfs-host-m2</url><snapshots><enabled>false</enabled></snapshots></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>host-m2</activeProfile></activeProfiles>
</settings>
END
  SETTINGS="-s /tmp/mvn-settings.xml"
fi
# package, never install: nothing of this build lands in the (cached) local repository
MVN="mvn -B -q $SETTINGS -Dmfs.skipPython=true -Dmfs.skipTestData=true -DskipTests"

# $1: a jar; prints the native libraries in it that are not for glibc Linux x86-64 (never fails: most jars have none)
natives_to_drop() {
  jar tf "$1" >/tmp/entries || return 0
  grep -E '\.(so(\.[0-9]+)*|dll|dylib|jnilib|a)$' /tmp/entries \
    | grep -E -v '(linux64\.so|linux/amd64/|Linux/x86_64/|linux-x86_64/)|musl' || true
  grep -E 'musl.*\.so' /tmp/entries || true
}

# $1: modules, $2: folder receiving their runtime libraries
package() {
  $MVN ${PROFILE:-} -pl "$1" -am package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$2"
}

if [ "$KIND" = broker ]; then
  package workshop /out/workshop-deps
  mkdir -p /out/broker
  cp workshop/target/mobileformer-workshop-*.jar /out/broker/
  for j in /out/workshop-deps/*.jar; do
    n=$(basename "$j")
    [ -e "/out/lib/$n" ] || [ -e "/out/app/$n" ] || cp "$j" /out/broker/
  done
  rm -rf /out/workshop-deps /tmp/mvn-trust
  du -sh /out/broker >&2
  exit 0
fi

PROFILE=""
[ "$KIND" = gpu ] && PROFILE="-Pgpu"
mkdir -p /out/lib /out/app
if ! package plugin,ingest /out/lib; then
  [ "$KIND" = gpu ] && echo "*** build-stage: the GPU image needs org.bytedeco:cuda:12.6-9.5-1.5.11 (classifier" \
    "linux-x86_64-redist, 2.0 GB) and onnxruntime_gpu 1.23.2 from Maven Central; see the Maven error above" >&2
  exit 1
fi
SLF4J=$(sed -n 's:.*<slf4j.version>\(.*\)</slf4j.version>.*:\1:p' pom.xml)
$MVN -N dependency:copy -Dartifact=org.slf4j:slf4j-simple:"$SLF4J" -DoutputDirectory=/out/lib
mv /out/lib/mobileformer-*.jar /out/app/
cp plugin/target/mobileformer-plugin-*.jar ingest/target/mobileformer-ingest-*.jar /out/app/
rm -f /out/app/*-tests.jar /out/app/*-sources.jar
# ONNX Runtime's natives leave its jar for /out/ort-native (loaded through onnxruntime.native.path): nothing is
# unpacked into a temporary folder at every start (the CUDA provider alone is 370 MB), and the other platforms'
# libraries (aarch64, Windows) stay out of the image.
ORT_JAR=$(ls /out/lib/onnxruntime*.jar)
mkdir -p /tmp/ort /out/ort-native
(cd /tmp/ort && jar xf "$ORT_JAR")
cp /tmp/ort/ai/onnxruntime/native/linux-x64/* /out/ort-native/
rm -rf /tmp/ort/ai/onnxruntime/native "$ORT_JAR"
jar --create --file "$ORT_JAR" --no-manifest -C /tmp/ort .
rm -rf /tmp/ort
# Libraries that carry natives for every platform (RocksDB alone: 72 MB for eleven of them) keep Linux x86-64's;
# JavaFX (JavaCV's JavaFX converter, never used) goes.
rm -f /out/lib/javafx-*.jar
for j in /out/lib/*.jar; do
  drop=$(natives_to_drop "$j")
  [ -n "$drop" ] || continue
  mkdir -p /tmp/slim && (cd /tmp/slim && jar xf "$j" && echo "$drop" | while read -r f; do rm -f "./$f"; done)
  rm "$j" && jar --create --file "$j" --no-manifest -C /tmp/slim . && rm -rf /tmp/slim
done
if [ "$KIND" = gpu ]; then
  # the gpu profile unpacked the libraries ONNX Runtime needs from org.bytedeco's CUDA redist jar into target/cuda
  mkdir -p /out/cuda
  cp -a target/cuda/org/bytedeco/cuda/linux-x86_64/. /out/cuda/
  # every library the CUDA provider links against must resolve from /out/cuda, except the driver's own libcuda
  MISSING=$(LD_LIBRARY_PATH=/out/cuda ldd /out/ort-native/libonnxruntime_providers_cuda.so | grep 'not found' || true)
  if [ -n "$MISSING" ]; then
    # an image whose CUDA provider cannot load would quietly run on the CPU: refuse to build it
    echo "*** build-stage: the CUDA provider cannot load in this image, missing:" >&2
    echo "$MISSING" >&2
    exit 1
  else
    echo "build-stage: libonnxruntime_providers_cuda.so resolves every library from /opt/mfs/cuda" >&2
  fi
fi
# jlink: the modules jdeps finds in the product and the workshop's broker (java.desktop: java.beans and JavaCV's
# converters), and those loaded by name at run time: the Vector API (the Java engine), TLS and SASL/Kerberos
# mechanisms Kafka clients pick from the configuration, the JDK HTTP server (metrics and health), JMX.
# (jdeps over the ~90 jars takes ~10 min on two busy cores, so the list is written here; ContainerImageIT runs the
# detector and ingest on it.)
MODS=java.base,java.desktop,java.logging,java.management,java.naming,java.security.jgss,java.security.sasl,java.xml
MODS=$MODS,java.net.http,java.sql,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.httpserver,jdk.incubator.vector
MODS=$MODS,jdk.management,jdk.security.auth,jdk.security.jgss,jdk.unsupported,jdk.zipfs
jlink --add-modules "$MODS" --strip-java-debug-attributes --no-man-pages --no-header-files --compress=2 --output /out/jre
# the runtime trusts the public CAs of Debian's ca-certificates-java (never the extra ones above)
rm -f /out/jre/lib/security/cacerts
cp -L /etc/ssl/certs/java/cacerts /out/jre/lib/security/cacerts
rm -f /tmp/mvn-trust /tmp/mvn-settings.xml /tmp/entries
du -sh /out/* >&2
