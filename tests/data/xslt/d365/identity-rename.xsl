<?xml version="1.0" encoding="utf-8"?>
<!-- The identity template with renames: everything is copied, a few names change. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
  <xsl:template match="Customer"><CUSTCUSTOMERV3ENTITY><xsl:apply-templates select="@*|node()"/></CUSTCUSTOMERV3ENTITY></xsl:template>
  <xsl:template match="No"><CUSTOMERACCOUNT><xsl:value-of select="."/></CUSTOMERACCOUNT></xsl:template>
  <xsl:template match="Blocked"><BLOCKED><xsl:value-of select="translate(., 'NY', '01')"/></BLOCKED></xsl:template>
</xsl:stylesheet>
