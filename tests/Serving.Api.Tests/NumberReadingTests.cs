using System.Buffers.Text;
using System.Globalization;
using System.Text;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.Tests;

/// <summary>
/// The plain-row scan reads short numbers without Utf8Parser (PlainJsonRows.TryReadNumber): every number must still
/// come out as the very double Utf8Parser (Utf8JsonReader.TryGetDouble's parser) reads, to the bit.
/// </summary>
public sealed class NumberReadingTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("0.000")]
    [InlineData("5100")]
    [InlineData("0.1")]
    [InlineData("0.3")]
    [InlineData("-3.5")]
    [InlineData("123456789012345")]
    [InlineData("1234567890123456")]
    [InlineData("9007199254740993")]
    [InlineData("0.000000000000001")]
    [InlineData("99999999999999.9")]
    [InlineData("1.5e3")]
    [InlineData("-2E-5")]
    [InlineData("179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    public void A_number_reads_as_utf8_parser_reads_it(string number) => AssertSameAsUtf8Parser(number);

    [Fact]
    public void Random_integers_and_decimals_read_as_utf8_parser_reads_them()
    {
        var random = new Random(13);
        for (var n = 0; n < 200_000; n++)
        {
            var text = new StringBuilder();
            if (random.Next(4) == 0) text.Append('-');
            var integerDigits = random.Next(1, 19);
            text.Append(integerDigits == 1 ? (char)('0' + random.Next(10)) : (char)('1' + random.Next(9)));
            for (var i = 1; i < integerDigits; i++) text.Append((char)('0' + random.Next(10)));
            if (random.Next(3) > 0)
            {
                text.Append('.');
                var fractionDigits = random.Next(1, 18);
                for (var i = 0; i < fractionDigits; i++) text.Append((char)('0' + random.Next(10)));
            }
            AssertSameAsUtf8Parser(text.ToString());
        }
        // Doubles as clients print them (shortest round-trip form), across magnitudes.
        for (var n = 0; n < 50_000; n++)
        {
            var value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 16));
            AssertSameAsUtf8Parser(value.ToString("R", CultureInfo.InvariantCulture));
            AssertSameAsUtf8Parser(((float)value).ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void AssertSameAsUtf8Parser(string number)
    {
        var bytes = Encoding.ASCII.GetBytes(number + ",");
        Assert.True(Utf8Parser.TryParse(bytes.AsSpan(0, number.Length), out double expected, out var consumed) && consumed == number.Length,
            $"Utf8Parser refused {number}");
        Assert.True(PlainJsonRows.TryReadNumber(bytes, out var actual, out var length), $"refused {number}");
        Assert.Equal(number.Length, length);
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
            $"{number}: {actual:R} vs Utf8Parser {expected:R}");
    }
}
