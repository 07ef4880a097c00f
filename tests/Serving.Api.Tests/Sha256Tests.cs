using System.Security.Cryptography;
using System.Text;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Tests;

/// <summary>The managed SHA-256 (so serving never loads OpenSSL) against FIPS 180-4's examples and .NET's SHA-256.</summary>
public sealed class Sha256Tests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Matches_the_standards_examples(string message, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(Sha256.HashData(Encoding.ASCII.GetBytes(message))));

    [Fact]
    public void Matches_dotnets_sha256_on_every_length_around_the_block_and_padding_edges_and_in_any_chunking()
    {
        var random = new Random(5);
        var data = new byte[3 * 64 + 1];
        random.NextBytes(data);
        for (var length = 0; length <= data.Length; length++)
        {
            var message = data.AsSpan(0, length);
            var expected = SHA256.HashData(message);
            Assert.Equal(expected, Sha256.HashData(message));
            // Fed in random pieces, as a download arrives; and the instance is reusable after GetHashAndReset.
            var sha = new Sha256();
            for (var round = 0; round < 2; round++)
            {
                for (var at = 0; at < length;)
                {
                    var piece = Math.Min(random.Next(0, 70), length - at);
                    sha.AppendData(message.Slice(at, piece));
                    at += piece;
                }
                Assert.Equal(expected, sha.GetHashAndReset());
            }
        }
    }

    [Fact]
    public void Matches_dotnets_sha256_on_a_bundle_sized_input()
    {
        var data = new byte[1_000_003];
        new Random(9).NextBytes(data);
        var sha = new Sha256();
        foreach (var chunk in data.Chunk(81920)) sha.AppendData(chunk);
        Assert.Equal(SHA256.HashData(data), sha.GetHashAndReset());
    }
}
