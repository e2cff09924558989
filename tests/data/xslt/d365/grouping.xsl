<?xml version="1.0" encoding="utf-8"?>
<!-- Muenchian grouping by customer (upper-cased with translate), sorted, totals formatted
     with format-number, and a second pass over a result tree fragment through
     msxsl:node-set(), as partner stylesheets written for XslCompiledTransform do. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:msxsl="urn:schemas-microsoft-com:xslt" exclude-result-prefixes="msxsl">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <!-- Variables are not allowed in a key's use expression (XSLT 1.0 §12.2). -->
  <xsl:key name="by-customer" match="Line" use="translate(@customer, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>
  <xsl:template match="/">
    <xsl:variable name="totals">
      <xsl:for-each select="Invoices/Line[generate-id() = generate-id(key('by-customer', translate(@customer, $lower, $upper))[1])]">
        <xsl:sort select="translate(@customer, $lower, $upper)"/>
        <xsl:variable name="group" select="key('by-customer', translate(@customer, $lower, $upper))"/>
        <Total customer="{translate(@customer, $lower, $upper)}" lines="{count($group)}" amount="{sum($group/@amount)}"/>
      </xsl:for-each>
    </xsl:variable>
    <Document>
      <xsl:for-each select="msxsl:node-set($totals)/Total">
        <xsl:sort select="@amount" data-type="number" order="descending"/>
        <CUSTTOTALENTITY CUSTOMERACCOUNT="{@customer}" LINES="{@lines}" AMOUNT="{format-number(@amount, '#,##0.00')}"/>
      </xsl:for-each>
    </Document>
  </xsl:template>
</xsl:stylesheet>
