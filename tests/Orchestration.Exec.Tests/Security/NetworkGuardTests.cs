using System.Net;
using NUnit.Framework;
using Orchestration.Security;

namespace Orchestration.Exec.Tests.Security;

[TestFixture]
public sealed class NetworkGuardTests
{
    [TestCase("127.0.0.1", "loopback")]
    [TestCase("127.255.255.254", "loopback")]
    [TestCase("127.1.2.3", "loopback")]
    [TestCase("10.0.0.1", "private")]
    [TestCase("10.255.255.255", "private")]
    [TestCase("172.16.0.1", "private")]
    [TestCase("172.31.255.255", "private")]
    [TestCase("192.168.0.1", "private")]
    [TestCase("192.168.255.255", "private")]
    [TestCase("169.254.169.254", "metadata")]
    [TestCase("169.254.0.1", "link-local")]
    [TestCase("169.254.170.2", "link-local")]
    [TestCase("100.64.0.1", "carrier-grade NAT")]
    [TestCase("100.100.100.200", "carrier-grade NAT")]
    [TestCase("100.127.255.255", "carrier-grade NAT")]
    [TestCase("0.0.0.0", "unspecified")]
    [TestCase("0.1.2.3", "unspecified")]
    [TestCase("224.0.0.1", "multicast")]
    [TestCase("239.255.255.250", "multicast")]
    [TestCase("255.255.255.255", "broadcast")]
    [TestCase("240.0.0.1", "reserved")]
    [TestCase("198.18.0.1", "benchmarking")]
    [TestCase("192.0.0.170", "IETF")]
    [TestCase("::1", "loopback")]
    [TestCase("::", "unspecified")]
    [TestCase("fc00::1", "unique-local")]
    [TestCase("fd00:ec2::254", "unique-local")]
    [TestCase("fe80::1", "link-local")]
    [TestCase("fe80::1%2", "link-local")]
    [TestCase("febf:ffff::1", "link-local")]
    [TestCase("fec0::1", "site-local")]
    [TestCase("ff02::1", "multicast")]
    [TestCase("100::1", "discard")]
    [TestCase("64:ff9b:1::a00:1", "NAT64")]
    [TestCase("::ffff:127.0.0.1", "loopback")]
    [TestCase("::ffff:7f00:1", "loopback")]
    [TestCase("::ffff:10.0.0.1", "private")]
    [TestCase("::ffff:169.254.169.254", "metadata")]
    [TestCase("::ffff:192.168.1.1", "private")]
    [TestCase("::ffff:100.64.0.1", "carrier-grade NAT")]
    [TestCase("::ffff:0.0.0.0", "unspecified")]
    [TestCase("::127.0.0.1", "loopback address embedded in IPv6")]
    [TestCase("::10.0.0.1", "private address embedded in IPv6")]
    [TestCase("::ffff:0:7f00:1", "loopback address embedded in IPv6")]
    [TestCase("::ffff:0:a9fe:a9fe", "metadata address embedded in IPv6")]
    [TestCase("64:ff9b::7f00:1", "loopback address embedded in IPv6")]
    [TestCase("64:ff9b::a9fe:a9fe", "metadata address embedded in IPv6")]
    [TestCase("2002:7f00:1::1", "loopback address embedded in IPv6")]
    [TestCase("2002:a9fe:a9fe::", "metadata address embedded in IPv6")]
    [TestCase("2002:c0a8:101::1", "private address embedded in IPv6")]
    public void Check_RefusedAddress_ReturnsReason(string address, string reason)
    {
        var result = NetworkGuard.Check(IPAddress.Parse(address));

        Assert.That(result, Does.Contain(reason));
    }

    [TestCase("8.8.8.8")]
    [TestCase("1.1.1.1")]
    [TestCase("93.184.216.34")]
    [TestCase("9.255.255.255")]
    [TestCase("11.0.0.1")]
    [TestCase("126.255.255.255")]
    [TestCase("128.0.0.1")]
    [TestCase("172.15.255.255")]
    [TestCase("172.32.0.1")]
    [TestCase("192.167.255.255")]
    [TestCase("192.169.0.1")]
    [TestCase("100.63.255.255")]
    [TestCase("100.128.0.1")]
    [TestCase("169.253.255.255")]
    [TestCase("169.255.0.1")]
    [TestCase("198.20.0.1")]
    [TestCase("223.255.255.255")]
    [TestCase("2606:4700:4700::1111")]
    [TestCase("2001:4860:4860::8888")]
    [TestCase("::ffff:8.8.8.8")]
    [TestCase("64:ff9b::808:808")]
    [TestCase("::ffff:0:808:808")]
    [TestCase("2002:808:808::1")]
    [TestCase("fbff:ffff::1")]
    public void Check_PublicAddress_ReturnsNull(string address)
    {
        var result = NetworkGuard.Check(IPAddress.Parse(address));

        Assert.That(result, Is.Null);
    }

    [TestCase("localhost")]
    [TestCase("LOCALHOST")]
    [TestCase("localhost.")]
    [TestCase("app.localhost")]
    [TestCase("metadata")]
    [TestCase("metadata.google.internal")]
    [TestCase("Metadata.Google.Internal.")]
    [TestCase("metadata.goog")]
    [TestCase("metadata.azure.com")]
    [TestCase("instance-data")]
    [TestCase("instance-data.ec2.internal")]
    [TestCase("")]
    public void CheckHostName_LocalOrMetadataName_ReturnsReason(string host)
    {
        Assert.That(NetworkGuard.CheckHostName(host), Is.Not.Null);
    }

    [TestCase("example.com")]
    [TestCase("metadata.example.com")]
    [TestCase("localhost.example.com")]
    [TestCase("notlocalhost")]
    [TestCase("binaries.internal.example")]
    public void CheckHostName_OrdinaryName_ReturnsNull(string host)
    {
        Assert.That(NetworkGuard.CheckHostName(host), Is.Null);
    }

    [TestCase("10.1.2.3", "10.0.0.0/8")]
    [TestCase("::ffff:10.1.2.3", "10.0.0.0/8")]
    [TestCase("127.0.0.1", "127.0.0.1/32")]
    [TestCase("fd00::5", "fd00::/64")]
    public void Check_AddressInAllowedNetwork_ReturnsNull(string address, string network)
    {
        var result = NetworkGuard.Check(IPAddress.Parse(address), [IPNetwork.Parse(network)]);

        Assert.That(result, Is.Null);
    }

    [TestCase("10.1.2.3", "192.168.0.0/16", "private")]
    [TestCase("127.0.0.2", "127.0.0.1/32", "loopback")]
    [TestCase("169.254.169.254", "10.0.0.0/8", "metadata")]
    [TestCase("::1", "127.0.0.0/8", "loopback")]
    public void Check_AddressOutsideAllowedNetworks_StillRefused(string address, string network, string reason)
    {
        var result = NetworkGuard.Check(IPAddress.Parse(address), [IPNetwork.Parse(network)]);

        Assert.That(result, Does.Contain(reason));
    }
}
